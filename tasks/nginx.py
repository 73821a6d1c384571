"""nginx: one HTTPS vhost per environment domain, friendly 5xx pages, $realpath_root."""

from __future__ import annotations

from io import StringIO

from pyinfra.api import deploy
from pyinfra.operations import apt, files, server, systemd

from tasks.conditions import after_change
from upkeep.desired import SiteState
from upkeep.layout import ACME_CHALLENGE_DIR, CERTIFICATES_DIR
from upkeep.templating import render


def tls_paths(site: SiteState) -> tuple[str, str]:
    """Where the vhost finds its certificate and key, per TLS mode."""
    if site.tls == "acme":
        live = f"/etc/letsencrypt/live/{site.domain}"
        return f"{live}/fullchain.pem", f"{live}/privkey.pem"
    return f"{CERTIFICATES_DIR}/{site.domain}.crt", f"{CERTIFICATES_DIR}/{site.domain}.key"


def vhost_text(site: SiteState) -> str:
    certificate, key = tls_paths(site)
    uploads = [
        path.removeprefix(site.docroot + "/")
        for path in site.shared_paths
        if path.startswith(site.docroot + "/")
    ]
    return render(
        "nginx/site.conf.j2",
        site=site,
        tls_certificate=certificate,
        tls_key=key,
        uploads=uploads,
        acme_dir=ACME_CHALLENGE_DIR,
    )


def vhost_path(site: SiteState) -> str:
    return site.layout.vhost_available


def nginx_files(site: SiteState) -> dict[str, str]:
    """The files this task renders, by remote path (certificates aside)."""
    return {vhost_path(site): vhost_text(site)}


@deploy("nginx")
def nginx(site: SiteState) -> None:
    apt.packages(name="nginx", packages=["nginx"], no_recommends=True)
    changes = [
        files.link(
            name="No default nginx site", path="/etc/nginx/sites-enabled/default", present=False
        ),
        files.directory(name="ACME challenge directory", path=ACME_CHALLENGE_DIR, mode="755"),
    ]
    if site.tls in ("lab", "manual") and site.certificate is not None:
        certificate, key = tls_paths(site)
        changes += [
            files.directory(name="Certificates", path=CERTIFICATES_DIR, mode="755"),
            files.put(
                name="TLS certificate",
                src=StringIO(site.certificate.certificate_pem),
                dest=certificate,
                mode="644",
            ),
            files.put(
                name="TLS key",
                src=StringIO(site.certificate.key_pem),
                dest=key,
                mode="600",
            ),
        ]
    available = vhost_path(site)
    changes += [
        files.put(name="Site vhost", src=StringIO(vhost_text(site)), dest=available),
        files.link(
            name="Site vhost enabled",
            path=site.layout.vhost_enabled,
            target=available,
        ),
    ]
    systemd.service(name="nginx running", service="nginx", running=True, enabled=True)
    # Never reload into a broken config: test it first (the op fails and stops the run).
    server.shell(
        name="nginx configuration test", commands=["nginx -t -q"], _if=after_change(*changes)
    )
    systemd.service(
        name="nginx reloaded (configuration changed)",
        service="nginx",
        reloaded=True,
        _if=after_change(*changes),
    )
