/**
 * The default VitePress theme, with the playground as a component (loaded only on the
 * playground page: the editor and the compiler are its own chunks) and the site's styles.
 */
import type { Theme } from "vitepress";
import DefaultTheme from "vitepress/theme";
import { defineAsyncComponent } from "vue";
import "./style.css";

const theme: Theme = {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component(
      "Playground",
      defineAsyncComponent(() => import("./Playground.vue")),
    );
  },
};

export default theme;
