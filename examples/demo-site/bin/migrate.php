<?php
/**
 * Apply database/schema.sql (every statement is CREATE TABLE IF NOT EXISTS,
 * so running it again changes nothing).
 *
 *     php bin/migrate.php        # exit 0 on success, 1 on a database error
 */

declare(strict_types=1);

require __DIR__ . '/../src/bootstrap.php';

if (PHP_SAPI !== 'cli') {
    exit(2);
}

$sql = file_get_contents(APP_ROOT . '/database/schema.sql');
// Drop comment lines, then split on the semicolons that end statements
// (the schema holds no semicolons inside strings).
$sql = preg_replace('/^\s*--.*$/m', '', $sql);
$statements = array_filter(array_map('trim', preg_split('/;\s*$/m', $sql)));

try {
    $pdo = db();
    foreach ($statements as $statement) {
        $pdo->exec($statement);
    }
    $tables = $pdo->query('SHOW TABLES')->fetchAll(PDO::FETCH_COLUMN);
} catch (PDOException $e) {
    log_failure('migrate', $e);
    fwrite(STDERR, "migrate: database error ({$e->getCode()}); check DB_* in .env and that the user may CREATE tables.\n");
    exit(1);
}
printf("migrate: schema applied (%d statements); tables: %s\n", count($statements), implode(', ', $tables));
