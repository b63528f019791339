"""The web channel: the touchpoint's landing page and the questionnaire as plain HTML forms."""
