"""The public gateway: Rasa's socket.io channel protocol in front of the bot and the agents."""
