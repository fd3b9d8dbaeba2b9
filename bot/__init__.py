"""Opora: a Telegram bot on HIV, OST, harm reduction and rights for key populations in EECA."""
