"""The compare page's content: `presets` (one stream played on both brokers) and `diagram`
(each side's diagram and the timeline, as geometry)."""
