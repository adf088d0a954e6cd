# Shown as it is (KING OF TIME's own words, texts stored before localization).
verbatim = { $text }
