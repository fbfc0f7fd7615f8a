"""Empirical tight-binding (sp3d5s* / sp3, nearest and second neighbours) for cubic CsPbX3."""
