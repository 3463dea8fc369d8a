"""An example third-party Kestrel plugin."""
