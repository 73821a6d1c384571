"""The container lab: real hosts (systemd, sshd) for the demo project and the tests."""

from upkeep.lab.lab import LabHost, LabReport, down, status, up
from upkeep.lab.spec import ROLES, LabSpec

__all__ = ["ROLES", "LabHost", "LabReport", "LabSpec", "down", "status", "up"]
