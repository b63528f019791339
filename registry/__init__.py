"""Processes and touchpoints: the catalogue, the registry workbook, links, QR cards, the example."""
