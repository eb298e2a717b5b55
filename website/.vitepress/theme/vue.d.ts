/** Single-file components, for the TypeScript checks of the site's sources. */
declare module "*.vue" {
  import type { DefineComponent } from "vue";

  const component: DefineComponent;
  export default component;
}
