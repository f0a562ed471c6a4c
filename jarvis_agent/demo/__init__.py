"""The demo gyms: a deterministic generator of French gyms, members, visits and activity, loaded with COPY."""

from .generator import DemoGenerator, demo_manager_user_id
from .loader import AlreadySeeded, SeedReport, demo_present, seed_demo

__all__ = ["AlreadySeeded", "DemoGenerator", "SeedReport", "demo_manager_user_id", "demo_present", "seed_demo"]
