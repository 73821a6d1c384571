<?php
/**
 * Shared start-up code for the web pages and the CLI scripts.
 *
 * Configuration comes from the `.env` file at the application root (in a
 * Deployer layout a symlink to shared/.env), falling back to environment
 * variables. Errors go to error_log() and are never displayed: a PDO error
 * message names the database user and host, and a stack trace could carry
 * the password.
 *
 *     require __DIR__ . '/../src/bootstrap.php';
 *     $count = (int) db()->query('SELECT COUNT(*) FROM users')->fetchColumn();
 */

declare(strict_types=1);

ini_set('display_errors', '0');
ini_set('log_errors', '1');
// Keep function arguments (e.g. the DB password given to PDO) out of traces.
ini_set('zend.exception_ignore_args', '1');

const APP_ROOT = __DIR__ . '/..';

/** Parse simple KEY=VALUE lines; returns [] when the file is missing. */
function load_env_file(string $path): array
{
    if (!is_file($path) || !is_readable($path)) {
        return [];
    }
    $values = [];
    foreach (file($path, FILE_IGNORE_NEW_LINES) ?: [] as $line) {
        $line = trim($line);
        if ($line === '' || $line[0] === '#' || !str_contains($line, '=')) {
            continue;
        }
        [$key, $value] = explode('=', $line, 2);
        $key = trim(preg_replace('/^export\s+/', '', $key));
        $value = trim($value);
        // As dotenv reads it: in "double quotes" a backslash escapes the next
        // character (\" \\ \$), in 'single quotes' nothing is escaped, and an
        // unquoted value is taken as it is; '#' inside a value is never a comment.
        if (strlen($value) >= 2 && $value[0] === '"' && $value[-1] === '"') {
            $value = preg_replace('/\\\\(.)/s', '$1', substr($value, 1, -1));
        } elseif (strlen($value) >= 2 && $value[0] === "'" && $value[-1] === "'") {
            $value = substr($value, 1, -1);
        }
        $values[$key] = $value;
    }
    return $values;
}

/** A setting from .env, else the environment, else $default. */
function config(string $key, ?string $default = null): ?string
{
    static $file = null;
    $file ??= load_env_file(APP_ROOT . '/.env');
    if (array_key_exists($key, $file)) {
        return $file[$key];
    }
    $env = getenv($key);
    return $env === false ? $default : $env;
}

/** The shared PDO connection (created on first use). */
function db(): PDO
{
    static $pdo = null;
    if ($pdo === null) {
        $dsn = sprintf(
            'mysql:host=%s;port=%d;dbname=%s;charset=utf8mb4',
            config('DB_HOST', 'localhost'),
            (int) config('DB_PORT', '3306'),
            config('DB_NAME', 'demo'),
        );
        $pdo = new PDO($dsn, config('DB_USER', 'demo'), config('DB_PASSWORD', ''), [
            PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
            PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
            PDO::ATTR_EMULATE_PREPARES => false,
            PDO::ATTR_TIMEOUT => 5,
            PDO::MYSQL_ATTR_INIT_COMMAND => "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, time_zone = '+00:00'",
        ]);
    }
    return $pdo;
}

/**
 * The release id: the name of the directory the app root really is, when it
 * sits in a Deployer `releases/` directory (releases/20240501120000 → that
 * id); null when running from a plain checkout.
 */
function release_id(): ?string
{
    $root = realpath(APP_ROOT);
    if ($root === false || basename(dirname($root)) !== 'releases') {
        return null;
    }
    return basename($root);
}

/** Log a failure without its trace (which could hold secrets). */
function log_failure(string $where, Throwable $e): void
{
    error_log(sprintf('demo-site %s: %s: %s', $where, get_class($e), $e->getMessage()));
}

/** Escape for HTML text and attribute values. */
function h(string|int|float|null $value): string
{
    return htmlspecialchars((string) $value, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}
