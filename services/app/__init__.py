"""The application layer: one plain function per use case, between HTTP and the deciders.

Each use case takes the ports it needs (`Ports`: the command bus, the read models, the
key store, the settings), the caller (`User`), the moment taken at the edge (`now`) and a
typed request (a command, or a small request of its own), authorises the caller, and
raises the errors of `services.app.errors` that the API maps to HTTP. Routes (`api.routes`)
and web pages (`api.ui.pages`) both call these functions, never each other.
"""
