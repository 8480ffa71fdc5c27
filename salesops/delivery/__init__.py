"""The delivery layer: each recipient's reports by email."""
