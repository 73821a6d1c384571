-- Demo site schema for MariaDB 10.11 (InnoDB, utf8mb4).
-- Idempotent: safe to apply on every deploy (`php bin/migrate.php`, or
-- `mariadb demo < database/schema.sql`).

CREATE TABLE IF NOT EXISTS users (
    id         INT UNSIGNED NOT NULL AUTO_INCREMENT,
    name       VARCHAR(191) NOT NULL,            -- personal data
    email      VARCHAR(191) NOT NULL,            -- personal data
    created_at DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY users_email_unique (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS orders (
    id               INT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id          INT UNSIGNED NOT NULL,
    total_cents      INT UNSIGNED NOT NULL,
    status           VARCHAR(20)  NOT NULL DEFAULT 'pending',
    shipping_address TEXT         NOT NULL,      -- personal data
    created_at       DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY orders_created_at (created_at),
    CONSTRAINT orders_user_id_fk FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Key/value site settings; many values are PHP-serialized and hold the
-- site's absolute URL, so a refresh must rewrite them serialization-aware.
CREATE TABLE IF NOT EXISTS settings (
    name  VARCHAR(191) NOT NULL,
    value LONGTEXT     NOT NULL,
    PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Free-text log lines that mention users; a sanitizer truncates this table.
CREATE TABLE IF NOT EXISTS activity_log (
    id         INT UNSIGNED NOT NULL AUTO_INCREMENT,
    message    TEXT         NOT NULL,
    created_at DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
