"""Answers as data: loading content/, its translations, rendering, checking and hot reload.

Problems (:class:`bot.content.model.Problem`) are collected, never raised one at a time, so an
editor sees every mistake in one run; a file with an error is left out of what the bot serves.
"""
