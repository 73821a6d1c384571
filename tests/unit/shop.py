"""The small project "shop" with an SLA, as several CLI and monitoring tests write it.

Its hosts are 127.0.0.1 with nothing listening, so every check fails for real.
"""

from __future__ import annotations

HEAD = """\
project: shop
app: {kind: generic, repository: /srv/git/shop}
php: {line: "8.2"}
database: {name: shop, user: shop, password: {secret: shop_db}, dump_user: shop_dump,
           dump_password: {secret: shop_dump}}
sla:
  target: 99.5
  calendar: {timezone: UTC}
  priorities:
    P1: {response: 30m, resolution: 4h}
environments:
"""

STAGING = """\
  staging:
    domain: staging.shop.test
    tls: manual
    hosts: [{name: shop-staging, address: 127.0.0.1}]
    database: {name: shop_staging, user: shop_staging, dump_user: shop_staging_dump}
"""

PRODUCTION = """\
  production:
    domain: www.shop.test
    tls: manual
    hosts: [{name: shop-production, address: 127.0.0.1}]
"""

WITH_SLA = HEAD + PRODUCTION  # production only
WITH_SLA_AND_STAGING = HEAD + STAGING + PRODUCTION
