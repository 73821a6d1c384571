<?php
/**
 * WordPress's settings on a server upkeep looks after. WordPress finds this file one
 * level above public/ (its ABSPATH), out of the web server's reach.
 *
 * The database credentials come from the `.env` file upkeep renders into each
 * release; the secret keys are derived from the database password, so every
 * environment has its own and none is in git. The site's URLs are deliberately
 * NOT set here (no WP_HOME, no WP_SITEURL): they are the `home` and `siteurl`
 * options in the database, which `upkeep refresh` rewrites from production's to
 * staging's, with the URLs inside serialized options.
 */

declare(strict_types=1);

require_once __DIR__ . '/src/env.php';

define('DB_NAME', upkeep_env('DB_NAME', 'wordpress'));
define('DB_USER', upkeep_env('DB_USER', 'wordpress'));
define('DB_PASSWORD', upkeep_env('DB_PASSWORD', ''));
define('DB_HOST', upkeep_env('DB_HOST', 'localhost'));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';

foreach (['AUTH', 'SECURE_AUTH', 'LOGGED_IN', 'NONCE'] as $purpose) {
    define("{$purpose}_KEY", hash_hmac('sha256', "{$purpose}_KEY", DB_PASSWORD));
    define("{$purpose}_SALT", hash_hmac('sha256', "{$purpose}_SALT", DB_PASSWORD));
}

$environments = ['dev' => 'development', 'staging' => 'staging', 'production' => 'production'];
define('WP_ENVIRONMENT_TYPE', $environments[upkeep_env('APP_ENV', 'production')] ?? 'production');
define('WP_DEBUG', false);
// The code comes from git through upkeep's releases: WordPress never changes its own files,
// never calls home for updates, and its cron runs from the server's, not from page views.
define('DISALLOW_FILE_MODS', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true);

if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/public/');
}
require_once ABSPATH . 'wp-settings.php';
