"""What every layer may import: settings, the clock, month arithmetic, the working-day
calendar, the translator and the channel-neutral shape of a message. Imports nothing of the
project's other packages."""
