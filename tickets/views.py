from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def ticket_list(request):
    return HttpResponse("My cases")


@login_required
def ticket_open(request):
    return HttpResponse("Open a case")
