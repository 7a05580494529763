"""Composable Beam transforms of the news-feed processor: one module per pipeline step."""
