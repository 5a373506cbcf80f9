"""The organization an API key belongs to, as `GET /api/v1/organization` shows it: its id (what
the embed snippet's `data-organization-id` takes), name, plan and the plan's limits."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from livchat.models import Organization
from livchat.services.schemas import CamelModel
from livchat.services.usage.limits import plan_limits


class OrganizationLimits(CamelModel):
    instances: int = Field(description="WhatsApp instances the plan allows.")
    messages_per_day: int | None = Field(description="Messages a day (null: unlimited).")
    sends_per_second: int = Field(description="Sends per second per instance.")
    api_per_minute: int = Field(description="API requests per minute for the organization.")


class OrganizationOut(CamelModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "org_01JD8Z5P0A1B2C3D4E5F6G7H8J", "name": "Acme", "plan": "starter",
        "limits": {"instances": 5, "messagesPerDay": None, "sendsPerSecond": 10, "apiPerMinute": 1000}}]})

    id: str
    name: str
    plan: str = Field(description="free | starter | scale")
    limits: OrganizationLimits

    @classmethod
    def of(cls, organization: Organization) -> OrganizationOut:
        limits = plan_limits(organization.plan)
        return cls(id=organization.id, name=organization.name, plan=organization.plan,
                   limits=OrganizationLimits(instances=limits.instances, messages_per_day=limits.messages_per_day,
                                        sends_per_second=limits.sends_per_second,
                                        api_per_minute=limits.api_per_minute))
