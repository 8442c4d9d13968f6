import { createBrowserRouter } from "react-router";
import { AccountPage } from "./account/AccountPage";
import { ForgotPassword, ResetPassword, VerifyEmail } from "./account/Recovery";
import { Register, SignIn } from "./account/SignIn";
import { CartPage } from "./shop/CartPage";
import { Catalog } from "./shop/Catalog";
import { CheckoutPage } from "./shop/CheckoutPage";
import { CollectionPage } from "./shop/CollectionPage";
import { Home } from "./shop/Home";
import { GuestOrderPage, OrderPage } from "./shop/OrderPage";
import { ProductPage } from "./shop/ProductPage";
import { Layout, NotFound } from "./ui/Layout";

export const router = createBrowserRouter([
  {
    // The admin is its own bundle, loaded only by those who open it.
    path: "admin/*",
    lazy: async () => ({ Component: (await import("./admin/AdminApp")).AdminApp }),
  },
  {
    element: <Layout />,
    children: [
      { index: true, element: <Home /> },
      { path: "search", element: <Catalog /> },
      { path: "c/:slug", element: <Catalog /> },
      { path: "collections/:handle", element: <CollectionPage /> },
      { path: "p/:id", element: <ProductPage /> },
      { path: "cart", element: <CartPage /> },
      { path: "checkout", element: <CheckoutPage /> },
      { path: "orders/lookup", element: <GuestOrderPage /> },
      { path: "orders/:id", element: <OrderPage /> },
      { path: "account", element: <AccountPage /> },
      { path: "account/sign-in", element: <SignIn /> },
      { path: "account/register", element: <Register /> },
      { path: "account/forgot-password", element: <ForgotPassword /> },
      { path: "account/reset-password", element: <ResetPassword /> },
      { path: "account/verify-email", element: <VerifyEmail /> },
      { path: "*", element: <NotFound /> },
    ],
  },
]);
