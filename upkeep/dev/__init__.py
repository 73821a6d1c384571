"""Developer environments: production's stack in a container on the programmer's machine.

``upkeep dev up PROJECT`` makes one container (Docker Engine or Podman) from the
lab's host image, provisions it with the same deploys as production at
production's pins, mounts the working copy as the current release, and seeds
its database from production through the refresh's sanitizer. It is the
``local`` environment: not one of the inventory's (those are servers), but
derived from production in code (``upkeep.dev.environment``).
"""
