"""Factories for monitored services and outages."""

from __future__ import annotations

import factory

from policies.models import Vendor
from reports.models import MonitoredService, Outage, OutageCause, ServiceKind


class MonitoredServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonitoredService

    vendor = factory.LazyFunction(lambda: Vendor.objects.get(slug="albert"))
    slug = factory.Sequence(lambda n: f"albert-app-{n}")
    name = factory.Sequence(lambda n: f"Albert application {n}")
    kind = ServiceKind.APPLICATION


class OutageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outage

    service = factory.SubFactory(MonitoredServiceFactory)
    cause = OutageCause.UNPLANNED
