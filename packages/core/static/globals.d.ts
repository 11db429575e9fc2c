// What the dashboard page has besides the DOM: socket.io's browser client (/static/socket.io.js).
declare const io: typeof import('socket.io-client').io;
