"""Care: what each client bought (the inventory's care plans) and where it stands.

>>> from upkeep.care import WarrantyStatus
>>> WarrantyStatus("void").name
'VOID'
"""

from upkeep.care.warranty import Evidence, Monitoring, Warranty, WarrantyStatus, warranty_of

__all__ = ["Evidence", "Monitoring", "Warranty", "WarrantyStatus", "warranty_of"]
