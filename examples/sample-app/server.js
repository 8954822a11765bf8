// The sample application: a tiny HTTP service with no dependencies. `/` answers with the version baked into
// the image (APP_VERSION, the short commit id the build passes), `/health` is what the target groups check.
const http = require('node:http');

const port = Number(process.env.PORT || 8080);
const version = process.env.APP_VERSION || 'dev';

const server = http.createServer((request, response) => {
  const path = new URL(request.url || '/', 'http://localhost').pathname;
  if (path === '/health') {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('ok\n');
    return;
  }
  if (path === '/') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(`${JSON.stringify({ app: 'switchyard-sample', version })}\n`);
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain' });
  response.end('not found\n');
});

server.listen(port, () => console.log(`switchyard-sample ${version} listening on port ${port}`));

// ECS stops a task with SIGTERM, then SIGKILL after the stop timeout: finish the requests in flight first.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
