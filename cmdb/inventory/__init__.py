"""Inventory from agents (DESIGN.md 4.4 and 6): FusionInventory and GLPI Agent inventories into the CMDB.

parsers.py reads what agents send, services.py records it, views.py is the door and the pages.
"""
