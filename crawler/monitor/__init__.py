"""Monitoring: drift alarms during a harvest and the live canary's judgement."""
