// Virtual module from editor-vite-plugins.ts: the URL of the lab libraries' type declarations (JSON).
declare module 'virtual:editor-types-url' {
  const url: string;
  export default url;
}
