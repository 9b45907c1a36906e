"""Weekly check-ins, wellbeing measures, safety flags and the participant's progress page."""
