// Starts Swagger UI on this server's OpenAPI document. Kept out of index.html so
// the page needs no inline script.
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // Keeps the token pasted into "Authorize" across reloads of this page.
  persistAuthorization: true,
  tryItOutEnabled: false,
  // No badge from validator.swagger.io: it would send the spec's URL to a third
  // party, and the Content-Security-Policy blocks outside images anyway.
  validatorUrl: null,
});
