"""The service directory: HSDS-shaped storage, import and export, nearest search, city names.

Errors: :class:`bot.directory.formats.RowProblem` (a bad import row, with file, line and reason)
is collected, not raised; :class:`bot.directory.cities.CityIndex` answers "which city?" offline.
"""
