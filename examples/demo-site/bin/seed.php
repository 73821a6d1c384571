<?php
/**
 * Seed the demo database with deterministic, realistic fake data: people's
 * names and e-mail addresses, orders with shipping addresses, an activity
 * log, and settings whose values are PHP-serialized and hold the site URL.
 *
 *     php bin/seed.php --url=https://www.demo.lab [--users=200] [--orders=1000] [--force]
 *
 * Without --force an already seeded database (users present) is left alone;
 * with --force every table is truncated and seeded again. The same arguments
 * always produce the same rows. --url defaults to SITE_URL from .env.
 * Exit codes: 0 seeded or already seeded, 1 database error, 2 bad usage.
 */

declare(strict_types=1);

namespace DemoSite;

use PDO;
use PDOException;
use stdClass;

require __DIR__ . '/../src/bootstrap.php';

/** A homepage banner; stored serialized inside the `widget_banners` setting. */
final class Banner
{
    public function __construct(
        public string $title,
        public string $image,
        public string $link,
    ) {
    }
}

const FIRST = ['Anna', 'Ben', 'Chloé', 'David', 'Emma', 'François', 'Grace', 'Hannah', 'Ivan', 'José',
    'Katarzyna', 'Liam', 'Mia', 'Noah', 'Olivia', 'Paul', 'Quentin', 'Rosa', 'Søren', 'Zoë'];
const LAST = ['Müller', 'Smith', 'García', 'Dubois', 'Rossi', 'Nowak', 'Jensen', 'Brown', "O'Neill",
    'Novák', 'Schmidt', 'Martin', 'Kowalski', 'Larsen', 'Fischer', 'Moreau', 'Taylor', 'Weber'];
const ADDRESSES = [['Hauptstraße', '10115', 'Berlin', 'Germany'], ['Rue de la Paix', '75002', 'Paris', 'France'],
    ['High Street', 'SW1A 1AA', 'London', 'United Kingdom'], ['Calle Mayor', '28013', 'Madrid', 'Spain'],
    ['Via Roma', '00184', 'Roma', 'Italy'], ['Kongens Gade', '1050', 'København', 'Denmark']];
const STATUSES = ['pending', 'paid', 'paid', 'shipped', 'shipped', 'shipped', 'cancelled'];
const MAIL_DOMAINS = ['example.com', 'example.net', 'example.org'];
const EPOCH = 1704067200; // 2024-01-01 00:00:00 UTC: dates never depend on "now"

function usage(string $problem): never
{
    fwrite(STDERR, "seed: $problem\nusage: php bin/seed.php --url=https://www.demo.lab [--users=200] [--orders=1000] [--force]\n");
    exit(2);
}

function pick(array $items): mixed
{
    return $items[mt_rand(0, count($items) - 1)];
}

function ascii_slug(string $text): string
{
    $map = ['é' => 'e', 'ç' => 'c', 'ø' => 'o', 'ë' => 'e', 'ü' => 'ue', 'í' => 'i', 'á' => 'a'];
    return preg_replace('/[^a-z]/', '', strtolower(strtr($text, $map)));
}

/** A timestamp up to $maxDays after $from (a Unix time). */
function after(int $from, int $maxDays): int
{
    return $from + mt_rand(0, $maxDays * 86400);
}

function sql_time(int $time): string
{
    return gmdate('Y-m-d H:i:s', $time);
}

/** @return array<string, string> setting name => stored value */
function settings(string $url): array
{
    $host = parse_url($url, PHP_URL_HOST);
    $mailer = new stdClass();
    $mailer->from_name = 'Démo Shop';
    $mailer->from_email = "orders@$host";
    $mailer->unsubscribe_url = "$url/newsletter/unsubscribe";
    $mailer->templates = ['order_paid' => ['subject' => 'Merci ! Your order', 'logo' => "$url/uploads/logo.png"]];

    return [
        'site_name' => 'Demo Shop',
        'site_url' => $url,
        'theme_options' => serialize([
            'logo' => "$url/uploads/logo.png",
            'header' => ['image' => "$url/uploads/banner.png", 'link' => "$url/", 'height' => 8],
            'menu' => [
                ['label' => 'Home', 'url' => "$url/"],
                ['label' => 'Café & Crème', 'url' => "$url/shop/caf%C3%A9"],
                ['label' => 'Contact', 'url' => "$url/contact"],
            ],
            'footer_html' => "<a href=\"$url/imprint\">Imprint</a> · © Demo Shop",
            'allowed_hosts' => [$host],
            'show_prices' => true,
            'tax_rate' => 0.19,
        ]),
        'mailer' => serialize($mailer),
        'widget_banners' => serialize([
            new Banner('Spring sale', "$url/uploads/2024/05/product-1.png", "$url/shop/sale"),
            new Banner('Nouveautés', "$url/uploads/banner.png", "$url/shop/new"),
        ]),
        'social_json' => json_encode([
            'homepage' => "$url/",
            'share_image' => "$url/uploads/logo.png",
            'feed' => "$url/feed.xml",
        ]),
    ];
}

$opts = getopt('', ['url:', 'users:', 'orders:', 'force', 'help']);
if (isset($opts['help'])) {
    usage('help requested');
}
$url = rtrim((string) ($opts['url'] ?? config('SITE_URL', '')), '/');
if ($url === '' || !filter_var($url, FILTER_VALIDATE_URL) || !preg_match('#^https?://[^/]+$#', $url)) {
    usage('--url (or SITE_URL in .env) must be an absolute http(s) URL without a path, e.g. https://www.demo.lab');
}
$userCount = filter_var($opts['users'] ?? 200, FILTER_VALIDATE_INT, ['options' => ['min_range' => 1]]);
$orderCount = filter_var($opts['orders'] ?? 1000, FILTER_VALIDATE_INT, ['options' => ['min_range' => 0]]);
if ($userCount === false || $orderCount === false) {
    usage('--users must be a whole number >= 1 and --orders >= 0');
}

try {
    $pdo = db();
    $existing = (int) $pdo->query('SELECT COUNT(*) FROM users')->fetchColumn();
    if ($existing > 0 && !isset($opts['force'])) {
        echo "seed: skipped, already seeded ($existing users); use --force to truncate and reseed\n";
        exit(0);
    }
    // TRUNCATE commits implicitly, so it runs before the transaction.
    $pdo->exec('SET FOREIGN_KEY_CHECKS = 0');
    foreach (['orders', 'users', 'settings', 'activity_log'] as $table) {
        $pdo->exec("TRUNCATE TABLE $table");
    }
    $pdo->exec('SET FOREIGN_KEY_CHECKS = 1');

    mt_srand(20240501);
    $pdo->beginTransaction();
    $insertUser = $pdo->prepare('INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)');
    $insertLog = $pdo->prepare('INSERT INTO activity_log (message, created_at) VALUES (?, ?)');
    $users = [];
    for ($id = 1; $id <= $userCount; $id++) {
        $first = pick(FIRST);
        $last = pick(LAST);
        $email = sprintf('%s.%s%d@%s', ascii_slug($first), ascii_slug($last), $id, pick(MAIL_DOMAINS));
        $created = after(EPOCH, 120);
        $insertUser->execute([$id, "$first $last", $email, sql_time($created)]);
        $message = sprintf('user %d signed up as %s from 203.0.113.%d', $id, $email, mt_rand(1, 254));
        $insertLog->execute([$message, sql_time($created)]);
        $users[$id] = ['name' => "$first $last", 'created' => $created];
    }

    $insertOrder = $pdo->prepare(
        'INSERT INTO orders (id, user_id, total_cents, status, shipping_address, created_at) VALUES (?, ?, ?, ?, ?, ?)'
    );
    for ($id = 1; $id <= $orderCount; $id++) {
        $userId = mt_rand(1, $userCount);
        [$street, $postcode, $city, $country] = pick(ADDRESSES);
        $name = $users[$userId]['name'];
        $address = sprintf("%s\n%s %d\n%s %s\n%s", $name, $street, mt_rand(1, 180), $postcode, $city, $country);
        $placed = sql_time(after($users[$userId]['created'], 240));
        $insertOrder->execute([$id, $userId, mt_rand(499, 45999), pick(STATUSES), $address, $placed]);
    }

    $insertSetting = $pdo->prepare('INSERT INTO settings (name, value) VALUES (?, ?)');
    foreach (settings($url) as $name => $value) {
        $insertSetting->execute([$name, $value]);
    }
    $pdo->commit();
} catch (PDOException $e) {
    log_failure('seed', $e);
    fwrite(STDERR, "seed: database error ({$e->getCode()}); run bin/migrate.php first and check DB_* in .env.\n");
    exit(1);
}
printf("seed: seeded %d users, %d orders, %d activity_log rows, %d settings for %s\n",
    $userCount, $orderCount, $userCount, count(settings($url)), $url);
