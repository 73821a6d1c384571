"""pyinfra deploy entry points (e.g. site.py) composing the tasks in tasks/.

They run under upkeep's runner and under the plain ``pyinfra`` CLI alike.
"""
