<?php
/**
 * Health check for upkeep's smoke checks and monitoring.
 *
 * 200 {"status":"ok","php_version":"8.2.36","database":"ok"} when WordPress's
 * options answer as the site user; 503 {"status":"error",...} otherwise. The
 * reason goes to the error log only, never into the response.
 */

declare(strict_types=1);

ini_set('display_errors', '0');
ini_set('zend.exception_ignore_args', '1');  // keep the password out of any trace
require_once __DIR__ . '/../src/env.php';

mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
try {
    $db = new mysqli(
        upkeep_env('DB_HOST', 'localhost'),
        upkeep_env('DB_USER', 'wordpress'),
        upkeep_env('DB_PASSWORD', ''),
        upkeep_env('DB_NAME', 'wordpress'),
        (int) upkeep_env('DB_PORT', '3306'),
    );
    $row = $db->query("SELECT option_value FROM wp_options WHERE option_name = 'siteurl'")->fetch_row();
    $database = $row ? 'ok' : 'error';
} catch (Throwable $e) {
    error_log('wordpress-site health: ' . get_class($e) . ': ' . $e->getMessage());
    $database = 'error';
}

$ok = $database === 'ok';
http_response_code($ok ? 200 : 503);
header('Content-Type: application/json');
header('Cache-Control: no-store');
echo json_encode(
    ['status' => $ok ? 'ok' : 'error', 'php_version' => PHP_VERSION, 'database' => $database],
    JSON_UNESCAPED_SLASHES
), "\n";
