"""Build steps for the gated-ref site: the diagram runner, vendored assets, notebook caching.

Nothing here is part of the ``gated_ref`` package. The MkDocs hook (``hooks/gated_ref_site.py``)
and the Makefile (``python -m sitebuild ...``) both call into these modules, so a figure is
rendered the same way whichever entry point starts the build.
"""

#: The date every dated artefact of the build carries (2026-01-01T00:00:00Z), unless the
#: environment sets ``SOURCE_DATE_EPOCH``. The Makefile exports the same value.
SOURCE_DATE_EPOCH = 1767225600
