"""The container lab: real hosts (systemd, sshd) for its two projects and the tests."""

from upkeep.lab.lab import LabHost, LabReport, down, status, up
from upkeep.lab.spec import ROLES, LabSpec

__all__ = ["ROLES", "LabHost", "LabReport", "LabSpec", "down", "status", "up"]
