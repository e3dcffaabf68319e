"""Pages of the shell: the home page brings several apps together (the vendors of policies, the
person's organization of the portal core), so it lives above all of them."""

from __future__ import annotations

from django.shortcuts import render

from policies.selectors import vendor_list
from portal.selectors import user_membership


def home(request):
    return render(
        request, "portal/home.html", {"vendors": vendor_list(), "membership": user_membership(request.user)}
    )
