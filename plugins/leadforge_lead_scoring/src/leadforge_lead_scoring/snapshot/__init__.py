"""Snapshot features at each lead's anchor and the conversion task."""
