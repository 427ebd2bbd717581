"""Link analysis: rules that connect media, exhibits, cases, cameras, places, scenes, audio, series, people
and online identifiers, each link with its rule, score and evidence (``jejak.model.graph``)."""
