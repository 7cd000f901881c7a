"""Qt widgets of the Stepgraph window; they read app.session and send intents back."""
