<?php
/**
 * Home page: proves PHP runs and the database answers. Shows the site name and
 * logo from the settings, user and order counts, the newest orders, and
 * whether every serialized setting still unserializes (a refresh that rewrote
 * URLs without fixing the s:N: lengths would break them).
 */

declare(strict_types=1);

require __DIR__ . '/../src/bootstrap.php';

// The front controller: nginx sends unknown paths here. The shop's own 404 page
// must reach the visitor as it is (nginx replaces only 5xx with its pages).
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
if ($path !== '/' && $path !== '/index.php') {
    http_response_code(404);
    header('Content-Type: text/html; charset=utf-8');
    echo "<!doctype html>\n<title>Not found</title>\n<h1>Demo Shop: page not found</h1>\n",
        '<p>No page at ', htmlspecialchars($path, ENT_QUOTES), ". <a href=\"/\">Back to the shop</a></p>\n";
    exit;
}

try {
    $pdo = db();
    $settings = $pdo->query('SELECT name, value FROM settings ORDER BY name')->fetchAll(PDO::FETCH_KEY_PAIR);
    $userCount = (int) $pdo->query('SELECT COUNT(*) FROM users')->fetchColumn();
    $orderCount = (int) $pdo->query('SELECT COUNT(*) FROM orders')->fetchColumn();
    $newest = $pdo->query(
        'SELECT o.id, u.name, o.total_cents, o.status, o.created_at
           FROM orders o JOIN users u ON u.id = o.user_id
          ORDER BY o.created_at DESC, o.id DESC LIMIT 10'
    )->fetchAll();
} catch (Throwable $e) {
    log_failure('index', $e);
    http_response_code(503);
    header('Content-Type: text/html; charset=utf-8');
    header('Retry-After: 30');
    echo "<!doctype html>\n<title>Temporarily unavailable</title>\n<h1>Temporarily unavailable</h1>\n",
        "<p>The shop cannot reach its database right now. Please try again shortly.</p>\n";
    exit;
}

$serialized = $broken = [];
foreach ($settings as $name => $value) {
    if (preg_match('/^(a|O|s|i|b|d):\d*[:;]/', $value)) {
        // allowed_classes => false: never instantiate classes from stored data.
        $ok = $value === 'b:0;' || @unserialize($value, ['allowed_classes' => false]) !== false;
        $serialized[] = $name;
        if (!$ok) {
            $broken[] = $name;
        }
    }
}
$theme = @unserialize($settings['theme_options'] ?? '', ['allowed_classes' => false]);
$logo = is_array($theme) && is_string($theme['logo'] ?? null) ? $theme['logo'] : null;
$siteName = $settings['site_name'] ?? 'Demo Shop (not seeded)';

header('Content-Type: text/html; charset=utf-8');
?>
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title><?= h($siteName) ?></title>
</head>
<body>
<header>
<?php if ($logo !== null): ?>
  <img src="<?= h($logo) ?>" alt="" width="16" height="16">
<?php endif ?>
  <h1><?= h($siteName) ?></h1>
  <p>Site URL: <span id="site-url"><?= h($settings['site_url'] ?? '') ?></span>
     · environment: <span id="app-env"><?= h(config('APP_ENV', 'production')) ?></span>
     · release: <span id="release"><?= h(release_id() ?? 'none') ?></span>
     · PHP <?= h(PHP_VERSION) ?></p>
</header>
<main>
  <p>Users: <strong id="user-count"><?= $userCount ?></strong>
     · Orders: <strong id="order-count"><?= $orderCount ?></strong></p>
  <p id="settings-check">Serialized settings: <?= count($serialized) - count($broken) ?> ok,
     <?= count($broken) ?> broken<?= $broken ? ' (' . h(implode(', ', $broken)) . ')' : '' ?></p>
  <h2>Newest orders</h2>
  <table>
    <thead><tr><th>#</th><th>Customer</th><th>Total</th><th>Status</th><th>Date (UTC)</th></tr></thead>
    <tbody>
<?php foreach ($newest as $order): ?>
      <tr>
        <td><?= (int) $order['id'] ?></td>
        <td><?= h($order['name']) ?></td>
        <td>€<?= h(number_format($order['total_cents'] / 100, 2)) ?></td>
        <td><?= h($order['status']) ?></td>
        <td><?= h($order['created_at']) ?></td>
      </tr>
<?php endforeach ?>
    </tbody>
  </table>
</main>
</body>
</html>
