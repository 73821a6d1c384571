"""The building blocks of an environment's state: packaged pyinfra deploys.

One concern per module (base host, php, nginx, mariadb, release, error pages,
logs), each a ``@deploy`` that the entry points in deploys/ compose. A task
never knows which workflow called it.
"""
