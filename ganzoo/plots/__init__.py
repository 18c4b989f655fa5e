"""``ganzoo plot``: training curves of one or more runs, and the 2-D training animation (the extra ``plots``).

:mod:`ganzoo.plots.series` reads a run's numbers (no matplotlib);
:mod:`ganzoo.plots.figure` draws the curves; :mod:`ganzoo.plots.animation`
animates a 2-D run's generated points over the real density.
"""
