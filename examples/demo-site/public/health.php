<?php
/**
 * Health check for monitoring and smoke tests.
 *
 * 200 {"status":"ok","php_version":"8.2.36","database":"ok","release":"20240501120000","time":"2024-05-01T12:00:00Z"}
 * 503 {"status":"error",...,"database":"error",...} when the database does not
 * answer. The reason goes to the error log only; the response never carries
 * the exception message, host names or credentials.
 */

declare(strict_types=1);

require __DIR__ . '/../src/bootstrap.php';

try {
    $database = (int) db()->query('SELECT 1')->fetchColumn() === 1 ? 'ok' : 'error';
} catch (Throwable $e) {
    log_failure('health', $e);
    $database = 'error';
}

$ok = $database === 'ok';
http_response_code($ok ? 200 : 503);
header('Content-Type: application/json');
header('Cache-Control: no-store');
echo json_encode([
    'status' => $ok ? 'ok' : 'error',
    'php_version' => PHP_VERSION,
    'database' => $database,
    'release' => release_id(),
    'time' => gmdate('Y-m-d\TH:i:s\Z'),
], JSON_UNESCAPED_SLASHES), "\n";
