"""Widgets the screens are made of: cell rows, gauges, the comparison table and the chart."""
