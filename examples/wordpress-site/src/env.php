<?php
/**
 * The site's settings from the `.env` file upkeep renders into each release (a
 * symlink to shared/.env, readable by the site user only), else the environment.
 *
 *     require_once __DIR__ . '/src/env.php';
 *     $name = upkeep_env('DB_NAME', 'wordpress');
 */

declare(strict_types=1);

function upkeep_env(string $key, ?string $default = null): ?string
{
    static $values = null;
    if ($values === null) {
        $values = [];
        $lines = is_readable(__DIR__ . '/../.env') ? file(__DIR__ . '/../.env', FILE_IGNORE_NEW_LINES) : [];
        foreach ($lines ?: [] as $line) {
            if (!preg_match('/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/', $line, $match)) {
                continue;
            }
            $value = $match[2];
            // As dotenv reads it: in "double quotes" a backslash escapes the next character,
            // 'single quotes' are taken as they are.
            if (preg_match('/^"(.*)"$/s', $value, $quoted)) {
                $value = preg_replace('/\\\\(.)/s', '$1', $quoted[1]);
            } elseif (preg_match("/^'(.*)'$/s", $value, $quoted)) {
                $value = $quoted[1];
            }
            $values[$match[1]] = $value;
        }
    }
    if (array_key_exists($key, $values)) {
        return $values[$key];
    }
    $env = getenv($key);
    return $env === false ? $default : $env;
}
