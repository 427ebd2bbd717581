"""The HTTP face of jejak: ``create_app(settings, store, roles)``, routers mounted by role."""
