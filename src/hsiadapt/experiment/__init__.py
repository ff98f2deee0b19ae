"""Experiments: config grids -> runs -> results -> tables and figures."""
