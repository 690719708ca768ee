"""CRM messiness: what the CRM records differs from what happened."""
